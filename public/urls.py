"""The public pages, by slug: stable addresses to read, link and cite."""

from django.urls import path

from . import feeds, views

app_name = "public"

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("feed/", feeds.EverythingFeed(), name="feed"),
    path("pledges/<slug:slug>/feed/", feeds.PledgeFeed(), name="pledge-feed"),
    path("meetings/<slug:slug>/feed/", feeds.MeetingFeed(), name="meeting-feed"),
    path("lines-of-effort/<slug:slug>/feed/", feeds.LineFeed(), name="line-feed"),
    path("search/", views.search, name="search"),
    path("pledges/<slug:slug>/", views.pledge, name="pledge"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<slug:slug>/", views.meeting, name="meeting"),
    path("statements/<slug:slug>/", views.statement, name="statement"),
    path("lines-of-effort/", views.lines_of_effort, name="lines"),
    path("follow-through/", views.follow_through_overview, name="follow-through"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/<slug:slug>/", views.commitment, name="commitment"),
]
